import ReactDOM from 'react-dom/client';
import { OptionsForm } from '../../components/OptionsForm';
import '../../components/extension-page.css';

ReactDOM.createRoot(document.getElementById('root')!).render(<OptionsForm />);
